//! `wordstats._native`: the word counting of the wordstats example app, as an
//! extension module, so that the Pyodide tests load a real `.so` from a bale.

use std::collections::HashMap;

use pyo3::prelude::*;

/// Counts the words of `text` (runs of letters, digits and apostrophes, lowercased)
/// and returns the `n` most frequent as `(word, count)`, most frequent first, ties in
/// alphabetical order.
#[pyfunction]
#[pyo3(signature = (text, n = 10))]
fn top_words(text: &str, n: usize) -> Vec<(String, usize)> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '\'')).filter(|w| !w.is_empty()) {
        *counts.entry(word.to_lowercase()).or_default() += 1;
    }
    let mut words: Vec<(String, usize)> = counts.into_iter().collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    words.truncate(n);
    words
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(top_words, m)?)
}
