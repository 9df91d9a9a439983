import logging

import uvicorn

from api.service.settings import get_settings

logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
settings = get_settings()
# X-Forwarded-For is read by the app alone, from VNLAW_TRUSTED_PROXIES (api.main); uvicorn
# would otherwise believe it from any process on 127.0.0.1.
uvicorn.run(
    "api.main:app",
    host=settings.host,
    port=settings.port,
    proxy_headers=False,
    timeout_keep_alive=settings.keep_alive_timeout,
    limit_concurrency=settings.max_connections,
)
