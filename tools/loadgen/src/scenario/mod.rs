//! One module per scenario; each returns the row it measured.

pub mod churn;
pub mod fanout;
pub mod memory;
pub mod pipelined;
pub mod sequential;
pub mod sessions;
pub mod stats;

use crate::conn::Res;
use crate::report::Row;

/// A scenario measured on the floor and the server in turn: `step` runs on
/// the floor's side, then on the server's, `rounds` times over, so the
/// shared machine's drift weighs on both alike; each side then gives its
/// row (the floor's first). An error in any step fails both rows.
pub async fn alternate<S>(
    floor: Res<S>,
    server: Res<S>,
    rounds: usize,
    mut step: impl AsyncFnMut(&mut S) -> Res<()>,
    row: impl Fn(S) -> Row,
) -> (Res<Row>, Res<Row>) {
    let sides = async {
        let (mut f, mut s) = (floor?, server?);
        for _ in 0..rounds.max(1) {
            step(&mut f).await?;
            step(&mut s).await?;
        }
        Ok::<_, String>((f, s))
    };
    match sides.await {
        Ok((f, s)) => (Ok(row(f)), Ok(row(s))),
        Err(e) => (Err(e.clone()), Err(e)),
    }
}
