import uvicorn

from .settings import get_settings

settings = get_settings()
uvicorn.run("api.main:app", host=settings.host, port=settings.port)
