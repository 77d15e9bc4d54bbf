//! The `scimform` binary: parse, run, exit. Everything else lives in the library.

fn main() -> std::process::ExitCode {
    scimform::cli::main()
}
