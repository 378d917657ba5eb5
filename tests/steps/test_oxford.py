"""The Oxford format helpers and the synthetic generator (pure, no store)."""

import numpy as np

from steps.data.oxford import (
    BORDER,
    BREEDS,
    CATS,
    DOGS,
    IMAGE,
    LISTING,
    MASK,
    PET,
    batch_files,
    breed_info,
    member_role,
    parse_list,
    synthetic_sample,
)
from steps.stream import batch_name, synthetic_batches


def test_breeds_are_numbered_as_oxford_does() -> None:
    assert len(BREEDS) == 37 and len(CATS) == 12 and len(DOGS) == 25
    assert breed_info("Abyssinian") == (1, 1, 1)
    assert breed_info("american_bulldog") == (2, 2, 1)
    assert breed_info("yorkshire_terrier")[0] == 37


def test_synthetic_samples_are_deterministic_and_learnable() -> None:
    a, b = synthetic_sample(7, 5), synthetic_sample(7, 5)
    assert a.name == b.name and np.array_equal(a.image, b.image)
    assert np.array_equal(a.trimap, b.trimap)
    assert not np.array_equal(synthetic_sample(8, 5).image, a.image)
    assert set(np.unique(a.trimap)) == {1, 2, 3}
    # The border is a thin ring around the pet: fewer pixels than the pet itself.
    assert 0 < (a.trimap == BORDER).sum() < (a.trimap == PET).sum()
    sizes = {synthetic_sample(1, i).image.shape[:2] for i in range(8)}
    assert len(sizes) > 1  # varied sizes
    assert synthetic_sample(1, 0, size=48).image.shape == (48, 48, 3)


def test_list_txt_round_trip() -> None:
    samples = [synthetic_sample(2, i, 32) for i in range(5)]
    files = batch_files(samples)
    assert len(files) == 1 + 2 * 5
    parsed = parse_list(files["annotations/list.txt"].decode())
    assert parsed == {s.name: (s.class_id, s.species, s.breed_id) for s in samples}
    assert parse_list("# comment\nbroken line\nX_1 a b c\n") == {}


def test_synthetic_stream_batches() -> None:
    batches = list(synthetic_batches("synthetic:seed=4,size=24", samples=5, batch_size=2))
    assert [sum(p.endswith(".jpg") for p in b.files) for b in batches] == [2, 2, 1]
    assert not any(b.refused for b in batches)
    assert batch_name(0) == "batch-0001"


def test_member_roles_follow_the_oxford_layout() -> None:
    assert member_role("images/Bengal_1.jpg") == (IMAGE, "Bengal_1")
    assert member_role("images/Bengal_1.JPG") == (IMAGE, "Bengal_1")
    assert member_role("annotations/trimaps/Bengal_1.png") == (MASK, "Bengal_1")
    assert member_role("annotations/list.txt") == (LISTING, "")
    others = ["images/x.mat", "images/sub/x.jpg", "images/..jpg", "images/.jpg", "list.txt"]
    others += ["annotations/xmls/Bengal_1.xml", "annotations/trimaps/x.jpg"]
    for other in others:
        assert member_role(other) is None, other
