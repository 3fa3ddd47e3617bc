"""Container health check: GET /health on the service's own port; exit 0 when it answers 200.

The port is OCOP_<SERVICE>_HTTP_PORT when set (the operator moved it), else the image's
OCOP_CONTAINER_PORT. Standard library only, so it costs no start-up of the service's code.
"""

import os
import sys
import urllib.request

service = os.environ.get("OCOP_SERVICE", "")
port = os.environ.get(f"OCOP_{service.upper()}_HTTP_PORT") or os.environ["OCOP_CONTAINER_PORT"]
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError as exc:
    print(f"ocop-{service} health check failed: {exc}", file=sys.stderr)
    sys.exit(1)
