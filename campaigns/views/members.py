# TEMPORARY scaffold: each function below is replaced by its real view.

def member_list(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def member_create(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def member_detail(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def member_edit(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def member_deactivate(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def member_reactivate(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def member_transfer(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


