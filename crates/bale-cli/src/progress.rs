//! Progress bars on a terminal; nothing but warnings when output is not a terminal.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Terminal {
    bar: Mutex<Option<ProgressBar>>,
    draw: bool,
}

impl Terminal {
    pub fn new(quiet: bool) -> Terminal {
        Terminal { bar: Mutex::new(None), draw: !quiet && std::io::stderr().is_terminal() }
    }

    pub fn finish(&self) {
        if let Some(bar) = self.bar.lock().expect("progress lock").take() {
            bar.finish_and_clear();
        }
    }
}

impl bale_pack::Progress for Terminal {
    fn step(&self, name: &str, total: Option<u64>) {
        self.finish();
        if !self.draw {
            return;
        }
        let bar = match total {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template("{msg:>16} [{bar:40}] {pos}/{len} ({eta})")
                    .expect("valid template")
                    .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner()
                .with_style(ProgressStyle::with_template("{msg:>16} {spinner} {pos}").expect("valid template")),
        };
        bar.set_message(name.to_owned());
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        *self.bar.lock().expect("progress lock") = Some(bar);
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = &*self.bar.lock().expect("progress lock") {
            bar.inc(n);
        }
    }

    fn warn(&self, message: &str) {
        match &*self.bar.lock().expect("progress lock") {
            Some(bar) => bar.suspend(|| eprintln!("warning: {message}")),
            None => eprintln!("warning: {message}"),
        }
    }
}
