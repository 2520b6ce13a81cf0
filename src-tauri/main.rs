fn main() {
    roster_app::run()
}
