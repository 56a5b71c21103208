fn main() {
    let releases = ["3.10", "3.11", "3.12", "3.13"];
    for (i, version) in releases.iter().enumerate() {
        println!("{i}: Python {version}");
    }
}
