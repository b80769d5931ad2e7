# TEMPORARY scaffold: each function below is replaced by its real view.

def campaign_list(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def campaign_create(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def campaign_detail(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def campaign_edit(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def campaign_phases(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def campaign_leadership(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def contact_point_list(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def contact_point_create(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def contact_point_edit(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def contact_point_delete(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def inspection_group_list(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def inspection_group_create(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def inspection_group_edit(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


def inspection_group_delete(request, *args, **kwargs):  # scaffold
    raise NotImplementedError


