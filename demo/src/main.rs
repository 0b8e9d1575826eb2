//! `netid-demo`: the whole netid story in one process (see the crate docs).

fn main() -> std::process::ExitCode {
    match netid_demo::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netid-demo: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
