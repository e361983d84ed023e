//! `squonk2`: see the crate's README and `squonk2 --help`.

fn main() -> std::process::ExitCode {
    squonk2_cli::main()
}
