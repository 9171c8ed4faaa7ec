fn main() {
    std::process::exit(deploy_audit::cli::run());
}
