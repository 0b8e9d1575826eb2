//! `netid`: the netid wallet on the command line (see `netid --help` and the crate docs).

fn main() -> std::process::ExitCode {
    netid_holder::cli::main()
}
