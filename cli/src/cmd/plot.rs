//! `aimx watch --plot`: the numeric fields of the watched records as a live
//! chart in the terminal, in device time, with the drop count; `q` (or
//! Ctrl-C, or --count) quits with the same summary as `watch`.

mod series;

use std::time::{Duration, Instant};

use aimx_client::{timestamp_secs, Client, Error};
use ratatui::crossterm::event::{self, Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph};
use ratatui::{DefaultTerminal, Frame};
use tokio::sync::mpsc;

use crate::fail::Fail;
use series::{decimate, Plot};

/// Seconds of device time on the x axis.
const WINDOW_SECS: f64 = 30.0;
const REDRAW_EVERY: Duration = Duration::from_millis(100);
const COLORS: [Color; 6] = [Color::Cyan, Color::Yellow, Color::Magenta, Color::Green, Color::Red, Color::Blue];

/// A series' runs of points, ready to draw.
type Segments = Vec<Vec<(f64, f64)>>;

/// Counters for the header and the summary.
struct Counts {
    events: u64,
    dropped: u64,
    started: Instant,
}

pub async fn run(client: &Client, names: &[String], count: Option<u64>, max_rate: Option<f64>) -> Result<(), Fail> {
    let (mut rx, ids) = super::watch::subscribe_all(client, names, 1024, max_rate).await?;
    let keys = read_keys();
    let mut terminal = ratatui::try_init().map_err(|e| Fail::Connection(e.into()))?;
    let mut plot = Plot::new(WINDOW_SECS);
    let mut counts = Counts { events: 0, dropped: 0, started: Instant::now() };
    let outcome = show(&mut terminal, &mut rx, keys, &mut plot, &mut counts, names, count).await;
    ratatui::restore();
    let outcome = outcome.map_err(|e| client.ended().unwrap_or(e));
    let secs = counts.started.elapsed().as_secs_f64();
    let rate = if secs > 0.0 { counts.events as f64 / secs } else { 0.0 };
    eprintln!("{} events, {} dropped in {secs:.1}s ({rate:.1} events/s)", counts.events, counts.dropped);
    if outcome.is_ok() {
        for id in ids {
            let _ = client.unsubscribe_id(&id).await;
        }
    }
    outcome.map_err(Fail::from)
}

/// Key presses that end the chart, read on a blocking thread (crossterm's
/// reads block). In raw mode Ctrl-C arrives as a key, not a signal.
fn read_keys() -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel(1);
    std::thread::spawn(move || loop {
        match event::poll(Duration::from_millis(200)) {
            Ok(true) => {}
            Ok(false) if tx.is_closed() => return,
            Ok(false) => continue,
            Err(_) => return,
        }
        if let Ok(TermEvent::Key(key)) = event::read() {
            let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
            let quit = matches!(key.code, KeyCode::Char('q') | KeyCode::Esc) || ctrl_c;
            if key.kind == KeyEventKind::Press && quit {
                let _ = tx.blocking_send(());
                return;
            }
        }
    });
    rx
}

async fn show(
    terminal: &mut DefaultTerminal,
    rx: &mut mpsc::Receiver<super::watch::Forwarded>,
    mut keys: mpsc::Receiver<()>,
    plot: &mut Plot,
    counts: &mut Counts,
    names: &[String],
    count: Option<u64>,
) -> Result<(), Error> {
    let mut redraw = tokio::time::interval(REDRAW_EVERY);
    loop {
        if count.is_some_and(|c| counts.events >= c) {
            terminal.draw(|f| draw(f, plot, counts, names))?;
            return Ok(());
        }
        tokio::select! {
            biased;
            _ = keys.recv() => return Ok(()),
            _ = redraw.tick() => {
                terminal.draw(|f| draw(f, plot, counts, names))?;
            }
            item = rx.recv() => match item {
                Some((i, Some(event))) => {
                    counts.events += 1;
                    counts.dropped += event.dropped;
                    if let Some(t) = timestamp_secs(&event.timestamp) {
                        plot.add(&names[i], t, &event.data, event.dropped > 0);
                    }
                }
                _ => return Err(Error::Closed("the subscription ended".into())),
            },
        }
    }
}

/// A value for the legend: whole numbers plainly, others to 3 decimals.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

fn draw(frame: &mut Frame, plot: &Plot, counts: &Counts, names: &[String]) {
    let [header, chart_area, footer] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(5), Constraint::Length(1)]).areas(frame.area());
    let secs = counts.started.elapsed().as_secs_f64().max(1e-9);
    frame.render_widget(
        Paragraph::new(format!(
            "aimx watch --plot  {}   events {}  dropped {}  {:.1}/s",
            names.join(" "),
            counts.events,
            counts.dropped,
            counts.events as f64 / secs
        )),
        header,
    );
    let now = plot.now.unwrap_or(0.0);
    let from = now - plot.window;
    // Two points per braille column (lowest, highest) are all that shows.
    let columns = usize::from(chart_area.width.saturating_sub(10)) * 2;
    let mut datasets = Vec::new();
    let decimated: Vec<(usize, &String, Segments)> = plot
        .series
        .iter()
        .enumerate()
        .map(|(n, (key, s))| (n, key, s.segments.iter().map(|seg| decimate(seg, from, now, columns)).collect()))
        .collect();
    for (n, key, segments) in &decimated {
        let style = Style::default().fg(COLORS[n % COLORS.len()]);
        let last = plot.series[*key].last.map_or(String::new(), |v| format!(" = {}", number(v)));
        for (k, segment) in segments.iter().enumerate() {
            let mut dataset =
                Dataset::default().marker(Marker::Braille).graph_type(GraphType::Line).style(style).data(segment);
            // One legend entry per series, on its first segment.
            if k == 0 {
                dataset = dataset.name(format!("{key}{last}"));
            }
            datasets.push(dataset);
        }
    }
    let [lo, hi] = plot.y_bounds();
    let newest = if plot.now.is_some() { crate::show::time(&format!("{now:.9}")) } else { "-".into() };
    let title = format!(" last {:.0} s of device time, newest {newest} ", plot.window);
    let half = plot.window / 2.0;
    let x_labels = [format!("-{:.0} s", plot.window), format!("-{half:.0} s"), "0 s".to_owned()];
    let y_labels = [lo, (lo + hi) / 2.0, hi].map(|v| Line::from(format!("{v:.2}")));
    let chart = Chart::new(datasets)
        .block(Block::bordered().title(title))
        .x_axis(Axis::default().bounds([from, now]).labels(x_labels.map(Line::from)))
        .y_axis(Axis::default().bounds([lo, hi]).labels(y_labels))
        // Show the legend unless it would cover more than half the chart.
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)));
    frame.render_widget(chart, chart_area);
    frame.render_widget(Paragraph::new("q quits · gaps mark values lost (dropped)"), footer);
}
