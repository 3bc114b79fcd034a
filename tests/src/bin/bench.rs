fn main() {
    println!("bench: TODO");
}
