//! The `kasa` admin CLI.
fn main() {
    println!("kasa");
}
