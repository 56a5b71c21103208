//! `importlib.resources`: a bale package's loader gives a `TraversableResources`
//! reader whose `files()` is the package's folder in the bale (`support.py`), built on
//! the finder's primitives here, which file access (`files.py`) uses too.

use bale_format::File;
use pyo3::exceptions::PyFileNotFoundError;
use pyo3::intern;
use pyo3::prelude::*;

use crate::finder::BaleFinder;

/// The resource reader of a module's package.
pub fn reader(slf: &Bound<'_, BaleFinder>, fullname: &str) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    let m = slf.get().module_for(py, fullname, None)?;
    let dir = if m.is_package {
        m.name.replace('.', "/")
    } else {
        m.name.rsplit_once('.').map_or(String::new(), |(p, _)| p.replace('.', "/"))
    };
    let support = crate::assets::support(py)?;
    Ok(support.getattr(intern!(py, "resource_reader"))?.call1((slf, dir))?.unbind())
}

/// What is at `rel`: `None`, or whether it is a folder and its size (0 for folders),
/// read from the index without reading the file. What the bale lacks, its rest bale
/// may hold; nothing is fetched to say so, and a damaged rest bale hides nothing of
/// the bale's own.
pub fn entry(finder: &BaleFinder, py: Python<'_>, rel: &str) -> PyResult<Option<(bool, u64)>> {
    if rel.is_empty() {
        return Ok(Some((true, 0)));
    }
    match own_entry(finder, py, rel)? {
        Some(found) => Ok(Some(found)),
        None => Ok(finder.other(py).and_then(|other| own_entry(other.get(), py, rel).ok().flatten())),
    }
}

/// What is at `rel` in this bale alone.
fn own_entry(finder: &BaleFinder, py: Python<'_>, rel: &str) -> PyResult<Option<(bool, u64)>> {
    let fail = |e: bale_format::Error| finder.error(py, rel, e);
    let Some(file) = finder.bale.file(rel).map_err(fail)? else { return Ok(None) };
    let size = match file.payload {
        Some(id) => finder.bale.payload(id).map_err(fail)?.size,
        None => 0,
    };
    Ok(Some((file.is_dir(), size)))
}

/// The names in a folder of the bale, and of its rest bale, sorted.
pub fn listdir(finder: &BaleFinder, py: Python<'_>, rel: &str) -> PyResult<Vec<String>> {
    let own = own_listing(finder, py, rel)?;
    let rest = finder.other(py).and_then(|other| own_listing(other.get(), py, rel).ok().flatten());
    let mut names = match (own, rest) {
        (None, None) => {
            return Err(PyFileNotFoundError::new_err((2, "No such folder in the bale", finder.virtual_path(rel))));
        }
        (Some(own), None) => return Ok(own),
        (own, rest) => own.into_iter().chain(rest).flatten().collect::<Vec<_>>(),
    };
    names.sort();
    names.dedup();
    Ok(names)
}

/// The names in a folder of this bale alone, or `None` if it has no such folder.
fn own_listing(finder: &BaleFinder, py: Python<'_>, rel: &str) -> PyResult<Option<Vec<String>>> {
    let fail = |e: bale_format::Error| finder.error(py, rel, e);
    let children: Vec<Result<File<'_>, _>> = if rel.is_empty() {
        finder.bale.root_files().collect()
    } else {
        match finder.bale.file(rel).map_err(fail)? {
            Some(dir) if dir.is_dir() => finder.bale.file_children(&dir).collect(),
            _ => return Ok(None),
        }
    };
    children.into_iter().map(|c| c.map(|c| c.name().to_owned()).map_err(fail)).collect::<PyResult<_>>().map(Some)
}
