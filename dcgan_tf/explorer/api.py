"""The explorer's HTTP API, without the sockets: a request (method, path, query, body) in, a
response (status, content type, bytes) out. server.py puts it on a port; tests call it directly.

    GET  /                      the page (page.html: one file, nothing fetched from elsewhere)
    GET  /api/info              the model, its noise, the classifier, the scrubber's checkpoints
    GET  /api/samples?seed=S&n=N[&label=D]   N samples of seed S: their noise and images
    POST /api/image             {"z": [...], "label": D, "ckpt": I}: one image (ckpt: optional)
    POST /api/directions        {"z": [...], "label": D, "k": K}: the K directions changing it most
    POST /api/interpolate       {"z0", "z1", "steps", "method": "lerp"|"slerp", "label"}
    POST /api/training          {"z": [...], "label": D}: G(z) by every checkpoint of the scrubber

Every image comes with what the digit classifier reads in it. Nothing here opens a file: the
checkpoints are the engine's fixed list, named by index, so no request can reach another path.
Anything else is a 404; a bad parameter or body a 400, a body over MAX_BODY a 413, each with a
JSON {"error": message}.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np

from dcgan_tf.common.errors import UserError

MAX_BODY = 256 * 1024  # bytes of a request body: a noise vector of 100 numbers takes about 2 kB
MAX_SAMPLES = 64  # images of one /api/samples
MAX_STEPS = 64  # images of one /api/interpolate
MAX_DIRECTIONS = 8  # sliders
MAX_Z = 100.0  # |z_i|: far beyond any noise the models were trained on, and still finite
SEED_MAX = 2**31 - 1
PAGE = Path(__file__).with_name("page.html")
JSON = "application/json"


class BadRequest(Exception):
    """A request the API refuses: its status (4xx) and one line saying why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def integer(value, name: str, low: int, high: int) -> int:
    """`value` (a query string or a JSON number) as an int from `low` to `high`."""
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise BadRequest(f"{name} must be a whole number, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{name} must be a whole number, got {str(value)[:40]!r}") from None
    if not low <= number <= high:
        raise BadRequest(f"{name} must be {low} to {high}, got {number}")
    return number


class Api:
    """The routes above, on an `Engine` (or anything with its methods)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.page = PAGE.read_bytes()  # read once, at start-up

    def handle(self, method: str, target: str, body: bytes = b"") -> tuple[int, str, bytes]:
        """(status, content type, body) of one request; `target` is the path with its query."""
        path, _, query = target.partition("?")
        try:
            routes = {
                ("GET", "/"): lambda: self.page,
                ("GET", "/api/info"): self.engine.info,
                ("GET", "/api/samples"): lambda: self.samples(parse_qs(query)),
                ("POST", "/api/image"): lambda: self.image(self.body(body)),
                ("POST", "/api/directions"): lambda: self.directions(self.body(body)),
                ("POST", "/api/interpolate"): lambda: self.interpolate(self.body(body)),
                ("POST", "/api/training"): lambda: self.training(self.body(body)),
            }
            if (method, path) not in routes:
                if any(path == p for _, p in routes):
                    raise BadRequest(f"{method} is not allowed on {path}", 405)
                raise BadRequest(f"no such page: {path[:80]}", 404)
            result = routes[method, path]()
        except BadRequest as err:
            return err.status, JSON, json.dumps({"error": str(err)}).encode()
        except UserError as err:  # the run itself is at fault (a damaged checkpoint): not 4xx
            return 500, JSON, json.dumps({"error": str(err)}).encode()
        if isinstance(result, bytes):
            return 200, "text/html; charset=utf-8", result
        return 200, JSON, json.dumps(result).encode()

    # -- reading a request --------------------------------------------------------------------

    @staticmethod
    def body(raw: bytes) -> dict:
        if len(raw) > MAX_BODY:
            raise BadRequest(f"the body is over {MAX_BODY} bytes", 413)
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as err:
            raise BadRequest(f"the body is not JSON ({err})") from None
        except RecursionError:  # "[[[[..." nested deeper than Python's parser goes
            raise BadRequest("the body is nested too deeply") from None
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object")
        return data

    def vector(self, data: dict, name: str) -> np.ndarray:
        """A noise vector: noise_dim finite numbers, each within +-MAX_Z."""
        values = data.get(name)
        dim = self.engine.noise_dim
        if not isinstance(values, list) or len(values) != dim:
            raise BadRequest(f"{name} must be a list of {dim} numbers")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise BadRequest(f"{name} must hold numbers only")
        if not all(abs(v) <= MAX_Z and math.isfinite(v) for v in values):  # NaN fails both
            raise BadRequest(f"{name}: every number must be finite and within +-{MAX_Z:g}")
        return np.asarray(values, np.float64)

    def label(self, value) -> int | None:
        """The digit of a conditional model (required there); None for the others."""
        if not self.engine.conditional:
            if value is not None:
                raise BadRequest("this model takes no digit (label); only cdcgan and carpedm20")
            return None
        if value is None:
            raise BadRequest("a conditional model needs a label, 0 to 9")
        return integer(value, "label", 0, 9)

    # -- the routes ---------------------------------------------------------------------------

    def samples(self, query: dict) -> dict:
        def one(name: str, default: str | None = None) -> str | None:
            values = query.get(name, [default])
            if len(values) != 1:
                raise BadRequest(f"give {name} once")
            return values[0]

        seed = integer(one("seed", "0"), "seed", 0, SEED_MAX)
        count = integer(one("n", "16"), "n", 1, MAX_SAMPLES)
        given = one("label")
        label = None if given in (None, "", "mixed") else integer(given, "label", 0, 9)
        if label is not None and not self.engine.conditional:
            raise BadRequest("this model takes no digit (label); only cdcgan and carpedm20")
        z, labels = self.engine.draw(seed, count, label)
        return {
            "seed": seed,
            "z": np.round(z, 6).tolist(),
            "labels": labels,
            "images": self.engine.render(z, labels),
        }

    def image(self, data: dict) -> dict:
        z, label = self.vector(data, "z"), self.label(data.get("label"))
        shot = data.get("ckpt")
        if shot is not None:
            if not self.engine.shots:
                raise BadRequest("this run kept no checkpoints to choose from (ckpt)")
            shot = integer(shot, "ckpt", 0, len(self.engine.shots) - 1)
        (image,) = self.engine.render(z[None, :], None if label is None else [label], shot)
        return image

    def directions(self, data: dict) -> dict:
        z, label = self.vector(data, "z"), self.label(data.get("label"))
        count = integer(data.get("k", 5), "k", 1, min(MAX_DIRECTIONS, self.engine.noise_dim))
        return self.engine.directions(z, label, count)

    def interpolate(self, data: dict) -> dict:
        z0, z1 = self.vector(data, "z0"), self.vector(data, "z1")
        steps = integer(data.get("steps", 16), "steps", 2, MAX_STEPS)
        method = data.get("method", "slerp")
        if method not in ("lerp", "slerp"):
            raise BadRequest(f"method must be lerp or slerp, got {str(method)[:40]!r}")
        if method == "slerp" and min(np.linalg.norm(z0), np.linalg.norm(z1)) == 0:
            raise BadRequest("slerp needs two non-zero endpoints")
        label = self.label(data.get("label"))
        return {"images": self.engine.interpolate(z0, z1, steps, method, label)}

    def training(self, data: dict) -> dict:
        z, label = self.vector(data, "z"), self.label(data.get("label"))
        return {"frames": self.engine.training(z, label)}
