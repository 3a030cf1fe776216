"""PDF copies of the Word documents (biên bản, thông báo kết luận), converted by LibreOffice.

LibreOffice is optional (Debian's ``libreoffice-writer-nogui``, about 200 MB installed): without it
the PDF buttons are not shown and the PDF routes answer 404 saying so. ``SOFFICE_PATH`` names the
binary when it is not ``soffice`` on the PATH; ``DOCUMENT_PDF_TIMEOUT`` (seconds, default 60) bounds
one conversion. Each conversion runs in its own temporary directory with its own LibreOffice profile,
so two at once do not wait on each other's profile lock; at most two run at a time, because each
LibreOffice takes a few hundred MB.
"""
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from flask import Response, current_app
from flask_babel import gettext as _

from core.errors import NotFound, ServiceError

MAX_AT_ONCE = 2
_slots = threading.BoundedSemaphore(MAX_AT_ONCE)


class ConversionFailed(Exception):
    """LibreOffice did not produce a PDF (timed out, crashed, or was too busy)."""


def soffice_path():
    """The LibreOffice binary, or None when it is not installed."""
    configured = current_app.config.get("SOFFICE_PATH")
    if configured:
        return shutil.which(configured)
    return shutil.which("soffice") or shutil.which("libreoffice")


def available():
    return soffice_path() is not None


def require():
    """404 with the reason when LibreOffice is missing (the PDF buttons are not shown then)."""
    if not available():
        raise NotFound(_("PDF copies need LibreOffice on the server, and it is not installed. "
                         "Download the Word document instead."))


def as_pdf(word):
    """The PDF answer for a Word download response: shown in the browser, the same file name as .pdf."""
    try:
        data = docx_to_pdf(word.get_data())
    except ConversionFailed as exc:
        current_app.logger.warning("PDF conversion failed: %s", exc)
        raise ServiceError(_("The PDF could not be made just now; try again, or download the Word document."),
                           code="conversion_failed", status=503) from None
    disposition = word.headers["Content-Disposition"].replace("attachment", "inline", 1).replace(".docx", ".pdf")
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


def docx_to_pdf(docx_bytes, timeout=None):
    """The PDF bytes of a .docx. Raises ConversionFailed; never goes through a shell."""
    return office_to_pdf(docx_bytes, "docx", timeout)


def office_to_pdf(data, ext, timeout=None):
    """The PDF bytes of an office file (``ext``: docx, xlsx, pptx...). Raises ConversionFailed."""
    soffice = soffice_path()
    if soffice is None:
        raise ConversionFailed("LibreOffice is not installed")
    timeout = timeout or current_app.config.get("DOCUMENT_PDF_TIMEOUT", 60)
    if not _slots.acquire(timeout=timeout):
        raise ConversionFailed("too many conversions at once")
    try:
        with tempfile.TemporaryDirectory(prefix="docx-pdf-") as tmp:
            work = Path(tmp)
            source = work / f"document.{ext}"
            source.write_bytes(data)
            command = [
                soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
                "--nologo", "--nolockcheck", "--convert-to", "pdf", "--outdir", str(work), str(source),
            ]
            _run(command, timeout, env=dict(os.environ, HOME=str(work)))
            result = work / "document.pdf"
            if not result.is_file() or result.stat().st_size == 0:
                raise ConversionFailed("LibreOffice wrote no PDF")
            return result.read_bytes()
    finally:
        _slots.release()


def _run(command, timeout, env):
    # Its own process group: on a timeout the whole of LibreOffice goes (soffice starts soffice.bin).
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, start_new_session=True)
    try:
        _out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ConversionFailed(f"LibreOffice took longer than {timeout} s") from None
    if proc.returncode != 0:
        raise ConversionFailed(f"LibreOffice exited with {proc.returncode}: {err.decode(errors='replace')[-500:]}")
