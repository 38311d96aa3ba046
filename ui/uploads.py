"""Files a browser uploaded to an admin page: Gradio keeps a copy in its upload folder (``/tmp/gradio``
by default), reachable at ``<page>/gradio_api/file=<path>`` for as long as it lies there. The raw file
(before personal data is redacted, for ingestion; a dialogue suite naming customers) must not outlive
its one use, nor ``forget-customer``: each handler deletes it once read (:func:`discard_uploads`) and
empties its file input.

Example:
    >>> discard_uploads([Path("/etc/hostname")])  # outside Gradio's folder: left alone
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def discard_uploads(paths: list[Path]) -> None:
    """Delete the copies Gradio kept of uploaded files once they were read. Only files in Gradio's
    upload folder (and their folder, once empty)."""
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder()).resolve()
    for path in paths:
        try:
            real = path.resolve()
            if real.is_relative_to(folder) and real != folder:
                real.unlink(missing_ok=True)
                if real.parent != folder and not any(real.parent.iterdir()):
                    real.parent.rmdir()
        except OSError:
            log.warning("could not delete the uploaded copy %s", path, exc_info=True)
