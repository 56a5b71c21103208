"""What `install` is given can change after it returns: a writable buffer is copied
once at install, so changing it changes nothing the bale serves and crashes nothing;
a `bytes` object, which cannot change, is read in place."""

import pytest

MAKERS = {
    "bytearray": "bytearray(data)",
    "memoryview of a bytearray": "memoryview(bytearray(data))",
    "read-only view of a bytearray": "memoryview(buffer_base := bytearray(data)).toreadonly()",
    "anonymous mmap": "(lambda m: (m.write(data), m)[1])(__import__('mmap').mmap(-1, len(data)))",
    "array": "__import__('array').array('B', data)",
}


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_changing_the_buffer_after_install_changes_nothing(python, app_bale, kind):
    out = python.out(
        f"""
        import bale
        data = open({str(app_bale)!r}, "rb").read()
        buffer = {MAKERS[kind]}
        finder = bale.install(buffer, path="/mem/app.bale")
        # Overwrite every byte the caller can reach, then use the bale.
        target = globals().get("buffer_base", buffer)
        view = memoryview(target).cast("B")
        for i in range(len(view)):
            view[i] = 0xA5
        view.release()
        import app, app.core
        from importlib.resources import files
        print(app.run(), app.VERSION)
        print(files("app").joinpath("data/config.json").read_text().strip())
        print(finder.get_source("app.core").splitlines()[0])
        """
    )
    assert out.splitlines() == ["ran 1.0", '{"answer": 42}', "def run():"]


def test_a_changed_buffer_is_copied_once_and_bytes_are_not(python, app_bale):
    # A bytes object stays shared with the bale (no copy); a bytearray is copied.
    out = python.out(
        f"""
        import bale, sys
        data = open({str(app_bale)!r}, "rb").read()
        before = sys.getrefcount(data)
        finder = bale.install(data, path="/mem/a.bale")
        print(sys.getrefcount(data) > before)
        copy = bytearray(data)
        before = sys.getrefcount(copy)
        bale.install(copy, path="/mem/b.bale")
        print(sys.getrefcount(copy) == before)
        copy.extend(b"still resizable: nothing holds it")
        """
    )
    assert out.split() == ["True", "True"]
