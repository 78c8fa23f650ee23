//! Per-session tasks on embassy-executor.
//!
//! `aimx::Spawn::spawn<F>` takes any future type. An embassy task stores its
//! future in a `static` pool sized at compile time for one concrete type, and
//! Rust has no generic statics and the firmware no heap to erase `F` into, so
//! `Spawn` cannot be implemented honestly for embassy's `Spawner`. Instead
//! [`session_task!`](crate::session_task) writes the concrete task for one
//! server type and one stream type, and [`SessionSpawner`] spawns it and
//! reports a full pool as `aimx::SpawnError`.

use embassy_executor::{SpawnError, SpawnToken, Spawner};

/// Defines an embassy task that serves one session: `server.serve(stream)`.
///
/// ```no_run
/// use aimx_embassy::{EmbassyClock, SessionSpawner};
/// use embassy_net::tcp::TcpSocket;
///
/// type MyServer = aimx::McuServer<'static, EmbassyClock>;
/// aimx_embassy::session_task!(pub fn session(server: &'static MyServer, stream: TcpSocket<'static>), pool_size = 4);
///
/// // Per connection:
/// fn accepted(sessions: SessionSpawner, server: &'static MyServer, stream: TcpSocket<'static>) -> Result<(), aimx::SpawnError> {
///     sessions.spawn(session(server, stream)) // Err(aimx::SpawnError) when all 4 are busy
/// }
/// # fn main() {}
/// ```
///
/// The crate using it must depend on `embassy-executor` (the task attribute
/// expands to paths into it). Both types must be concrete and `'static`.
#[macro_export]
macro_rules! session_task {
    ($vis:vis fn $name:ident(server: &'static $server:ty, stream: $stream:ty), pool_size = $n:literal $(,)?) => {
        #[embassy_executor::task(pool_size = $n)]
        $vis async fn $name(server: &'static $server, stream: $stream) {
            let _ = server.serve(stream).await;
        }
    };
}

/// Spawns tasks made by [`session_task!`](crate::session_task) (or any
/// task) and maps embassy's errors onto `aimx::SpawnError`.
#[derive(Clone, Copy)]
pub struct SessionSpawner {
    spawner: Spawner,
}

impl SessionSpawner {
    /// Spawns onto `spawner`'s executor.
    pub fn new(spawner: Spawner) -> Self {
        SessionSpawner { spawner }
    }

    /// Starts the task behind `token` (what calling a task function
    /// returns); a full pool is `Err(aimx::SpawnError)`, so the caller can
    /// refuse or drop the connection instead of panicking.
    pub fn spawn<S>(&self, token: Result<SpawnToken<S>, SpawnError>) -> Result<(), aimx::SpawnError> {
        self.spawner.spawn(token.map_err(|_| aimx::SpawnError)?);
        Ok(())
    }
}
