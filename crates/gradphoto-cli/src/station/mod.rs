//! `gradphoto station`: the site laptop's commands. `watch` sends a tethered camera's
//! photos to the server's station; `prepare`, `serve`, `push` and `release` run an offline
//! station for a day with no network (issue 7).

mod offline;
mod watch;

#[derive(clap::Args, Debug)]
pub struct StationArgs {
    #[command(subcommand)]
    command: StationCommand,
}

#[derive(clap::Subcommand, Debug)]
enum StationCommand {
    /// Watch the camera's folder and send each photo to the server's station for the
    /// number at the camera.
    Watch(watch::WatchArgs),
    /// Before the day, with the network: take a queue for this station and download what
    /// it needs (masked students, the registry's keys and revocations).
    Prepare(offline::PrepareArgs),
    /// On the day, with or without the network: the desk, camera, confirmation and call
    /// display pages on this laptop, and the camera's folder.
    Serve(offline::ServeArgs),
    /// When the network is back: send every number, photo and confirmation to the server
    /// (again as often as needed: nothing is recorded twice).
    Push(offline::PushArgs),
    /// After the last push: give the queue back to the server's desks.
    Release(offline::ReleaseArgs),
}

pub fn run(args: StationArgs) -> anyhow::Result<i32> {
    match args.command {
        StationCommand::Watch(a) => watch::run(a),
        StationCommand::Prepare(a) => offline::prepare(a),
        StationCommand::Serve(a) => offline::serve(a),
        StationCommand::Push(a) => offline::push(a),
        StationCommand::Release(a) => offline::release(a),
    }
}
