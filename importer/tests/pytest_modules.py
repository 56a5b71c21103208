"""A pytest plugin that collects test modules by importing them by name.

pytest collects tests from files; modules imported from a bale have no files. With
this plugin, each stub file given to pytest holds a module name on its first line, and
the tests of that module are collected from the imported module; the `conftest`
modules of its packages are imported and registered as plugins, so their fixtures
apply. Used the same way from site-packages and from a bale, so the two runs compare.
"""

import importlib

import pytest


class ImportedModule(pytest.Module):
    def _getobj(self):
        return importlib.import_module(self.module_name)


def pytest_pycollect_makemodule(module_path, parent):
    name = module_path.read_text().strip()
    if not name:
        return None
    config = parent.config
    parts = name.split(".")
    for i in range(1, len(parts)):
        conftest = ".".join(parts[:i]) + ".conftest"
        if config.pluginmanager.get_plugin(conftest) is None:
            try:
                module = importlib.import_module(conftest)
            except ModuleNotFoundError as e:
                if e.name != conftest:
                    raise
                continue
            config.pluginmanager.register(module, conftest)
    collector = ImportedModule.from_parent(parent, path=module_path)
    collector.module_name = name
    return collector
