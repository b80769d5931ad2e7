# TEMPORARY scaffold: each function below is replaced by its real view.

def home(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


