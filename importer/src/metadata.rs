//! `importlib.metadata`: the finder is also a `DistributionFinder`, whose
//! distributions (`support.py`'s `BaleDistribution`) read the `.dist-info` folders at
//! the top of the bale.

use pyo3::intern;
use pyo3::prelude::*;

use crate::finder::BaleFinder;

/// The bale's distributions that match `context` (a `DistributionFinder.Context`).
pub fn find_distributions(slf: &Bound<'_, BaleFinder>, context: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    let support = crate::assets::support(py)?;
    Ok(support.getattr(intern!(py, "find_distributions"))?.call1((slf, context))?.unbind())
}

/// Folder names of the distribution metadata at the top of the bale and of its rest
/// bale (whose files are fetched only when read).
pub fn dist_info(finder: &BaleFinder, py: Python<'_>) -> PyResult<Vec<String>> {
    let mut out = own_dist_info(finder, py)?;
    if let Some(other) = finder.other(py) {
        out.extend(own_dist_info(other.get(), py).unwrap_or_default());
        out.sort();
        out.dedup();
    }
    Ok(out)
}

fn own_dist_info(finder: &BaleFinder, py: Python<'_>) -> PyResult<Vec<String>> {
    let mut out = Vec::new();
    for f in finder.bale.root_files() {
        let f = f.map_err(|e| finder.error(py, "", e))?;
        if f.is_dir() && (f.path.ends_with(".dist-info") || f.path.ends_with(".egg-info")) {
            out.push(f.path.to_owned());
        }
    }
    Ok(out)
}
