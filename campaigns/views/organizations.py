# TEMPORARY scaffold: each function below is replaced by its real view.

def organization_tree(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def organization_create(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def organization_detail(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def organization_children(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def organization_edit(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def organization_role_add(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def organization_role_remove(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def organization_search(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


