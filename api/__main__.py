import logging

import uvicorn

from api.service.settings import get_settings

logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
settings = get_settings()
uvicorn.run("api.main:app", host=settings.host, port=settings.port)
