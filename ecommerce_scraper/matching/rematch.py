"""Re-matching after changes: the groups again, touching only what the changes reach.

:func:`rematch_identities` takes the previous result (groups and every unit's identity, or every
one the changes can reach: :mod:`.sync` reads no more from the database) and the units that
changed or went, and returns what :func:`~.matcher.match_identities` would return over the updated
identities, without matching the rest again. What a change reaches: the units a name link may
join to it (:class:`~.matcher.NameIndex`, by its old and new identity), those of its GTIN, its
group, its pins, and so on; then the groups elsewhere whose identity key a re-grouped group has
or had (their ``match_id`` is disambiguated together).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from .identity import ProductIdentity, ProductKey
from .matcher import (
    MATCH_THRESHOLD,
    MatchControls,
    MatchGroup,
    NameIndex,
    group_identity_key,
    match_identities,
)
from .units import identities_of, product_key_of


def pin_partners(controls: MatchControls) -> dict[ProductKey, set[ProductKey]]:
    """``key -> the keys it is pinned to`` (both ways)."""
    partners: dict[ProductKey, set[ProductKey]] = defaultdict(set)
    for pair in controls.pins:
        if len(pair) == 2:
            a, b = tuple(pair)
            partners[a].add(b)
            partners[b].add(a)
    return partners


def rematch(
    groups: Iterable[MatchGroup],
    identities: Mapping[ProductKey, ProductIdentity],
    changed: Iterable[Mapping[str, Any]],
    controls: MatchControls | None = None,
    *,
    threshold: float = MATCH_THRESHOLD,
) -> tuple[list[MatchGroup], dict[ProductKey, ProductIdentity]]:
    """Groups again after ``changed`` (new or changed product states): :func:`rematch_identities`
    with their identities (:func:`~.units.identities_of`). Returns the groups and the updated
    identities. A variant a changed product no longer has is dropped. Removed products: drop them
    from ``identities`` and pass their group's other members as changed, or call
    :func:`rematch_identities` with ``removed``.
    """
    fresh: dict[ProductKey, ProductIdentity] = {}
    products: set[ProductKey] = set()
    for state in changed:
        products.add((str(state["site"]), str(state["product_id"])))
        fresh.update((identity.key, identity) for identity in identities_of(state))
    # A colour a changed product no longer sells is a unit gone.
    gone = [key for key in identities if product_key_of(key) in products and key not in fresh]
    return rematch_identities(groups, identities, fresh, gone, controls, threshold=threshold)


def rematch_identities(
    groups: Iterable[MatchGroup],
    identities: Mapping[ProductKey, ProductIdentity],
    changed: Mapping[ProductKey, ProductIdentity],
    removed: Iterable[ProductKey] = (),
    controls: MatchControls | None = None,
    *,
    threshold: float = MATCH_THRESHOLD,
) -> tuple[list[MatchGroup], dict[ProductKey, ProductIdentity]]:
    """Groups again after some units changed (``changed``: new or changed identities) or went
    (``removed``), touching only what they reach; the result equals :func:`match_identities` over
    the updated identities.

    ``groups`` and ``identities`` are the previous result and every unit's identity (or every one
    that the changes can reach). The units re-grouped are those a name link may join to a changed
    or removed unit (:class:`NameIndex`, by its old or new identity), of its GTIN, in a
    group with one of them, or pinned to one, repeated until nothing more is reached; then any
    kept group whose identity key a re-grouped group has, or had (their ``match_id`` is
    disambiguated together). Every other group is kept as it was. Returns the groups and the
    updated identities.
    """
    controls = controls or MatchControls()
    old = identities
    updated = dict(identities)
    touched: set[ProductKey] = set(changed)
    for key in removed:
        if updated.pop(key, None) is not None:
            touched.add(key)
    updated.update(changed)
    previous = list(groups)
    if not touched:
        return sorted(previous, key=lambda group: (group.match_id, group.keys)), updated
    group_of = {key: group for group in previous for key in group.keys}
    old_names, new_names = NameIndex(old), NameIndex(updated)
    gtins: dict[str, set[ProductKey]] = defaultdict(set)
    for key, identity in updated.items():
        if identity.gtin:
            gtins[identity.gtin].add(key)
    pinned = pin_partners(controls)
    affected: set[ProductKey] = set()

    def reach(start: Iterable[ProductKey]) -> None:
        queue = [key for key in start if key not in affected]
        while queue:
            key = queue.pop()
            if key in affected:
                continue
            affected.add(key)
            reached: set[ProductKey] = set(pinned.get(key, ()))
            if key in group_of:
                reached.update(group_of[key].keys)
            for identity, names in ((old.get(key), old_names), (updated.get(key), new_names)):
                if identity is None:
                    continue
                reached.update(names.neighbours(identity, threshold))
                if identity.gtin:
                    reached.update(gtins[identity.gtin])
            queue.extend(reached - affected)

    reach(touched)
    while True:
        kept = [group for group in previous if not affected.intersection(group.keys)]
        redone = match_identities((updated[key] for key in affected if key in updated), controls, threshold=threshold)
        # Keys shared now, or shared before (a kept group disambiguated against a redone one).
        redone_keys = {group_identity_key(updated[key] for key in group.keys) for group in redone}
        redone_keys.update(
            group_identity_key(old[key] for key in group.keys)
            for group in previous
            if affected.intersection(group.keys) and all(key in old for key in group.keys)
        )
        clashing = [
            group
            for group in kept
            if all(key in updated for key in group.keys)
            and group_identity_key(updated[key] for key in group.keys) in redone_keys
        ]
        if not clashing:
            break
        reach(key for group in clashing for key in group.keys)
    return sorted([*kept, *redone], key=lambda group: (group.match_id, group.keys)), updated
