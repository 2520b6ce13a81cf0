//! The figures: percentiles, requests a second, and the report against issue 11's targets.

use super::client::Measured;
use super::traffic::Kind;
use super::{Args, NOISE, TARGET_P99_MS, TARGET_RATIO};
use std::collections::BTreeMap;

pub(super) fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// One request type's figures on one server.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Figures {
    pub(super) count: usize,
    /// Seconds of the phase's time that were this type's.
    pub(super) secs: f64,
    pub(super) p50: f64,
    pub(super) p99: f64,
}

impl Figures {
    pub(super) fn rate(&self) -> f64 {
        self.count as f64 / self.secs.max(1e-9)
    }
}

/// Every request type's figures in a server's phases, and the overall ones.
#[derive(Default)]
pub(super) struct Totals {
    pub(super) by_kind: BTreeMap<Kind, Figures>,
    pub(super) all: Vec<f64>,
    pub(super) secs: f64,
}

impl Totals {
    pub(super) fn add(&mut self, m: &Measured) {
        let busy: f64 = m.latencies.values().flatten().sum();
        for (kind, l) in &m.latencies {
            let mut sorted = l.clone();
            sorted.sort_by(f64::total_cmp);
            let share = l.iter().sum::<f64>() / busy.max(1e-9);
            self.by_kind.insert(
                *kind,
                Figures {
                    count: l.len(),
                    secs: m.secs * share,
                    p50: percentile(&sorted, 0.50),
                    p99: percentile(&sorted, 0.99),
                },
            );
            self.all.extend_from_slice(l);
        }
        self.secs += m.secs;
    }

    pub(super) fn overall(&self) -> Figures {
        let mut sorted = self.all.clone();
        sorted.sort_by(f64::total_cmp);
        Figures {
            count: sorted.len(),
            secs: self.secs,
            p50: percentile(&sorted, 0.50),
            p99: percentile(&sorted, 0.99),
        }
    }
}

pub(super) fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

pub(super) fn rate(v: f64) -> String {
    format!("{v:.0}")
}

/// The verdict on a target met by `margin` (the fraction by which the figure beats the target).
pub(super) fn verdict(margin: f64) -> String {
    if margin < 0.0 {
        format!("MISS (short by {:.0}%)", -margin * 100.0)
    } else if margin < NOISE {
        format!(
            "PASS (margin {:.0}%: within the 10–30% runs vary by)",
            margin * 100.0
        )
    } else {
        format!("PASS (margin {:.0}%)", margin * 100.0)
    }
}
pub(super) fn report(
    a: &Args,
    ours: &Totals,
    theirs: Option<&Totals>,
    our_peak: Option<f64>,
    ref_rss: Option<String>,
) {
    println!();
    println!(
        "requests a second: each phase's time shared among its request types by their total latency; latency from sending to the answer's last byte"
    );
    println!(
        "{:<34} {:>6}  {:>8} {:>7} {:>7}  {:>8} {:>7} {:>7}  {:>8}",
        "", "count", "Roster/s", "p50 ms", "p99 ms", "ref/s", "p50 ms", "p99 ms", "Roster÷ref"
    );
    let mut rows: Vec<(String, Figures, Option<Figures>)> = ours
        .by_kind
        .iter()
        .map(|(k, f)| {
            (
                k.label().to_string(),
                *f,
                theirs.and_then(|t| t.by_kind.get(k).copied()),
            )
        })
        .collect();
    rows.push((
        "overall".into(),
        ours.overall(),
        theirs.map(Totals::overall),
    ));
    for (label, o, t) in &rows {
        let (tr, tp50, tp99, ratio) = match t {
            Some(t) => (
                rate(t.rate()),
                ms(t.p50),
                ms(t.p99),
                format!("{:.1}×", o.rate() / t.rate().max(1e-9)),
            ),
            None => ("-".into(), "-".into(), "-".into(), "-".into()),
        };
        println!(
            "{label:<34} {:>6}  {:>8} {:>7} {:>7}  {:>8} {:>7} {:>7}  {:>8}",
            o.count,
            rate(o.rate()),
            ms(o.p50),
            ms(o.p99),
            tr,
            tp50,
            tp99,
            ratio
        );
    }
    println!();
    println!(
        "peak RSS of this process (Roster's server, its {}-user tenant, and the client): {}{}",
        a.users,
        our_peak.map_or_else(|| "n/a".to_string(), |m| format!("{m:.0} MB")),
        ref_rss
            .map(|r| format!("; the reference's process: {r}"))
            .unwrap_or_default()
    );
    println!("(the reference answers every PATCH with 204 and no body; Roster a group's with 204 and a user's with 200 and the user, as Okta expects)");
    println!();
    println!("targets (issue 11):");
    match theirs {
        Some(t) => {
            let overall = ours.overall().rate() / t.overall().rate().max(1e-9);
            println!(
                "  throughput >= {TARGET_RATIO:.0}x the reference's, overall     {overall:>6.1}x   {}",
                verdict(overall / TARGET_RATIO - 1.0)
            );
            for (k, o) in &ours.by_kind {
                if let Some(r) = t.by_kind.get(k) {
                    let x = o.rate() / r.rate().max(1e-9);
                    println!(
                        "    {:<38} {x:>6.1}x   {}",
                        k.label(),
                        verdict(x / TARGET_RATIO - 1.0)
                    );
                }
            }
        }
        None => println!(
            "  throughput >= {TARGET_RATIO:.0}x the reference's: not measured (no reference)"
        ),
    }
    let o = ours.overall();
    println!(
        "  Roster p99 < {TARGET_P99_MS:.0} ms, overall                  {:>6} ms {}",
        ms(o.p99),
        verdict(TARGET_P99_MS / o.p99.max(1e-9) - 1.0)
    );
    for (k, f) in &ours.by_kind {
        println!(
            "    {:<38} {:>6} ms {}",
            k.label(),
            ms(f.p99),
            verdict(TARGET_P99_MS / f.p99.max(1e-9) - 1.0)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.50), 50.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&[3.0], 0.99), 3.0);
        assert_eq!(percentile(&[], 0.99), 0.0);
    }
}
