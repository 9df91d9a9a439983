from api.eval.articles import app

app(prog_name="python -m api.eval")
