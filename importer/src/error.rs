//! The importer's exception.

use pyo3::create_exception;
use pyo3::exceptions::PyImportError;

create_exception!(
    bale,
    BaleError,
    PyImportError,
    "A bale cannot be read: damaged, truncated, of an unknown format version, or built for another Python."
);
