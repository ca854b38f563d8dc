"""Helpers for reading `tshark -T json` trees, whose objects repeat keys
(used by tls.py and krb5.py): load with `object_pairs_hook=pairs`, then
`walk` collects every value of a key in document order."""


class Multi(list):
    """Every value of a key repeated in one JSON object."""


def pairs(items):
    out = {}
    for k, v in items:
        if k in out:
            if not isinstance(out[k], Multi):
                out[k] = Multi([out[k]])
            out[k].append(v)
        else:
            out[k] = v
    return out


def walk(d, key, acc):
    """Every value of `key` in a nested tshark tree, in document order."""
    if isinstance(d, list):
        for x in d:
            walk(x, key, acc)
    elif isinstance(d, dict):
        for k, v in d.items():
            if k == key:
                acc.extend(v if isinstance(v, Multi) else [v])
            else:
                walk(v, key, acc)
    return acc
