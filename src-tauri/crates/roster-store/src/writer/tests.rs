use super::*;

fn writer(dir: &std::path::Path) -> (Writer, Connection) {
    let path = dir.join("t.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v TEXT NOT NULL UNIQUE);")
        .unwrap();
    (Writer::new(c), Connection::open(&path).unwrap())
}

fn rows(c: &Connection) -> Vec<String> {
    let mut st = c.prepare("SELECT v FROM t ORDER BY rowid").unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<std::result::Result<_, _>>()
        .unwrap()
}

fn insert(c: &Connection, v: &str) -> Result<()> {
    c.execute("INSERT INTO t (v) VALUES (?1)", [v])?;
    Ok(())
}

// Why: pushes that wait together share one transaction; one that fails must lose only what it did and get
// its own error, each must see what the ones before it did, and none may answer before the commit.
#[test]
fn pushes_waiting_together_share_a_commit_and_a_failed_one_loses_only_its_own_work() {
    let dir = tempfile::tempdir().unwrap();
    let (w, reader) = writer(dir.path());
    // Hold the connection while three pushes queue up behind it.
    let held = w.lock();
    std::thread::scope(|s| {
        let pushes: Vec<_> = ["a", "dup", "b"]
            .into_iter()
            .map(|name| {
                let w = &w;
                s.spawn(move || {
                    w.push(|c| {
                        // What the pushes before it in the batch did is there already.
                        let before = rows(c);
                        insert(c, &format!("{name}-1"))?;
                        if name == "dup" {
                            // Half done, then refused: its first row must go too.
                            insert(c, "dup-1")?;
                        }
                        insert(c, &format!("{name}-2"))?;
                        Ok::<_, StoreError>((before, c.is_autocommit()))
                    })
                })
            })
            .collect();
        while w.waiting.load(Ordering::SeqCst) < 3 {
            std::thread::yield_now();
        }
        drop(held);
        let results: Vec<_> = pushes.into_iter().map(|p| p.join().unwrap()).collect();
        let failed: Vec<_> = results.iter().filter(|r| r.is_err()).collect();
        assert_eq!(failed.len(), 1, "only the push that failed fails");
        let ok: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert!(
            ok.iter().all(|(_, autocommit)| !autocommit),
            "each ran inside a transaction"
        );
        let mut seen: Vec<usize> = ok.iter().map(|(before, _)| before.len()).collect();
        seen.sort();
        assert!(
            seen.contains(&2),
            "one push saw the other's two rows, not yet committed: they shared a transaction: {ok:?}"
        );
    });
    let mut all = rows(&reader);
    all.sort();
    assert_eq!(
        all,
        ["a-1", "a-2", "b-1", "b-2"],
        "the failed push left nothing"
    );
    assert!(w.lock().is_autocommit(), "the batch was committed");
}

// Why: a push alone commits at once (nobody to share with), so what it did is visible to readers as
// soon as it answers; any other use of the connection finds no transaction open.
#[test]
fn a_push_alone_is_committed_when_it_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (w, reader) = writer(dir.path());
    w.push(|c| insert(c, "x")).unwrap();
    assert_eq!(rows(&reader), ["x"]);
    let e = w.push(|c| {
        insert(c, "y")?;
        insert(c, "x")
    });
    assert!(e.is_err());
    assert_eq!(rows(&reader), ["x"], "a failed push changes nothing");
    let c = w.lock();
    assert!(c.is_autocommit());
}
