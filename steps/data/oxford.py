"""The Oxford-IIIT Pet format, and a synthetic generator of pets in it.

Oxford-IIIT Pet (Parkhi et al., 2012) ships `images/<Name>_<n>.jpg`, trimaps
`annotations/trimaps/<Name>_<n>.png` with 1 = pet, 2 = background, 3 = border, and
`annotations/list.txt` with lines `Image CLASS-ID SPECIES BREED-ID` (species 1 = cat,
2 = dog; cat breeds are Capitalised, dog breeds lower_case). The generator draws pets of 37
breeds (a body, a head, ears, a breed-specific coat pattern) of varied size and position on
textured backgrounds, with the trimap's border a thin ring around the pet, so a U-Net can learn
it. Seeded and deterministic: the same seed and index always give the same sample.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

PET, BACKGROUND, BORDER = 1, 2, 3
IMAGE, MASK, LISTING = "image", "mask", "listing"  # the roles of a batch's files
LIST_PATH = "annotations/list.txt"
CATS = [
    "Abyssinian",
    "Bengal",
    "Birman",
    "Bombay",
    "British_Shorthair",
    "Egyptian_Mau",
    "Maine_Coon",
    "Persian",
    "Ragdoll",
    "Russian_Blue",
    "Siamese",
    "Sphynx",
]
DOGS = [
    "american_bulldog",
    "american_pit_bull_terrier",
    "basset_hound",
    "beagle",
    "boxer",
    "chihuahua",
    "english_cocker_spaniel",
    "english_setter",
    "german_shorthaired",
    "great_pyrenees",
    "havanese",
    "japanese_chin",
    "keeshond",
    "leonberger",
    "miniature_pinscher",
    "newfoundland",
    "pomeranian",
    "pug",
    "saint_bernard",
    "samoyed",
    "scottish_terrier",
    "shiba_inu",
    "staffordshire_bull_terrier",
    "wheaten_terrier",
    "yorkshire_terrier",
]
BREEDS = sorted(CATS + DOGS, key=str.lower)  # Oxford numbers classes alphabetically
LIST_HEADER = (
    "#Image CLASS-ID SPECIES BREED ID\n"
    "#ID: 1:37 Class ids\n"
    "#SPECIES: 1:Cat 2:Dog\n"
    "#BREED ID: 1-25:Cat 1:12:Dog\n"
    "#All images with 1st letter as captial are cat images\n"
    "#images with small first letter are dog images\n"
)


@dataclass(frozen=True)
class Sample:
    name: str  # e.g. "Bengal_17"
    class_id: int  # 1..37
    species: int  # 1 cat, 2 dog
    breed_id: int  # index within its species, 1-based
    image: np.ndarray  # HxWx3 uint8
    trimap: np.ndarray  # HxW uint8 in {1, 2, 3}

    def list_line(self) -> str:
        return f"{self.name} {self.class_id} {self.species} {self.breed_id}"


def breed_info(breed: str) -> tuple[int, int, int]:
    """(class id, species, breed id) of a breed name, as list.txt numbers them."""
    species = 1 if breed in CATS else 2
    group = CATS if species == 1 else DOGS
    return BREEDS.index(breed) + 1, species, group.index(breed) + 1


def synthetic_sample(seed: int, index: int, size: int | None = None) -> Sample:
    """Sample `index` of the synthetic set `seed`; `size` fixes the side (else 96-160 px)."""
    rng = np.random.default_rng([seed, index])
    breed = BREEDS[int(rng.integers(len(BREEDS)))]
    class_id, species, breed_id = breed_info(breed)
    height = size or int(rng.integers(96, 161))
    width = size or int(rng.integers(96, 161))
    image = _background(rng, height, width)
    pet = _pet_mask(rng, height, width, species)
    coat = _coat(rng, height, width, class_id)
    image[pet] = coat[pet]
    trimap = np.full((height, width), BACKGROUND, np.uint8)
    trimap[pet] = PET
    trimap[_ring(pet, width=max(1, min(height, width) // 48))] = BORDER
    return Sample(f"{breed}_{index + 1}", class_id, species, breed_id, image, trimap)


def _background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = rng.uniform(40, 200, 3)
    tilt = rng.uniform(-0.4, 0.4, (2, 3))
    img = base + yy[..., None] * tilt[0] + xx[..., None] * tilt[1]
    img += rng.normal(0, 12, (h, w, 3))  # grass, carpet, sofa: some texture
    return np.clip(img, 0, 255).astype(np.uint8)


def _pet_mask(rng: np.random.Generator, h: int, w: int, species: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    scale = rng.uniform(0.22, 0.38) * min(h, w)
    cy, cx = rng.uniform(0.45, 0.6) * h, rng.uniform(0.35, 0.65) * w
    body = ((yy - cy) / (scale * 0.7)) ** 2 + ((xx - cx) / scale) ** 2 <= 1
    hy, hx = cy - scale * 0.8, cx + rng.uniform(-0.5, 0.5) * scale
    head_r = scale * (0.45 if species == 1 else 0.55)
    head = (yy - hy) ** 2 + (xx - hx) ** 2 <= head_r**2
    ears = np.zeros((h, w), bool)
    for side in (-1, 1):  # cats: pointed ears up; dogs: floppy ears down the sides
        ex = hx + side * head_r * (0.55 if species == 1 else 0.7)
        if species == 1:  # a triangle: its tip above the head, widening down into it
            tip, base = hy - head_r * 1.45, hy - head_r * 0.5
            ears |= (yy >= tip) & (yy <= base) & (np.abs(xx - ex) <= (yy - tip) * 0.55)
        else:
            ey = hy + head_r * 0.2
            ears |= ((yy - ey) / (head_r * 0.7)) ** 2 + ((xx - ex) / (head_r * 0.3)) ** 2 <= 1
    return body | head | ears


def _coat(rng: np.random.Generator, h: int, w: int, class_id: int) -> np.ndarray:
    breed_rng = np.random.default_rng(class_id)  # a breed keeps its colours and pattern
    main, second = breed_rng.uniform(0, 255, 3), breed_rng.uniform(0, 255, 3)
    pattern = class_id % 3
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if pattern == 0:  # stripes
        weight = (np.sin((xx + yy * 0.5) / breed_rng.uniform(3, 8)) > 0).astype(np.float32)
    elif pattern == 1:  # spots
        weight = (np.sin(xx / 5) * np.sin(yy / 5) > 0.4).astype(np.float32)
    else:  # solid with a soft gradient
        weight = (yy / max(h - 1, 1)) * 0.5
    img = main * (1 - weight[..., None]) + second * weight[..., None]
    img += rng.normal(0, 8, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def _ring(mask: np.ndarray, width: int) -> np.ndarray:
    """Pixels within `width` of the mask's edge, on both sides (Oxford's border class)."""
    grown, shrunk = mask.copy(), mask.copy()
    for _ in range(width):
        grown = _dilate(grown)
        shrunk = ~_dilate(~shrunk)
    return grown & ~shrunk


def _dilate(mask: np.ndarray) -> np.ndarray:
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    out[:, 1:] |= mask[:, :-1]
    out[:, :-1] |= mask[:, 1:]
    return out


def jpeg_bytes(image: np.ndarray, quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def batch_files(samples: list[Sample]) -> dict[str, bytes]:
    """One Oxford-format batch as {relative path: bytes}."""
    files = {
        "annotations/list.txt": (
            LIST_HEADER + "".join(s.list_line() + "\n" for s in samples)
        ).encode()
    }
    for sample in samples:
        files[f"images/{sample.name}.jpg"] = jpeg_bytes(sample.image)
        files[f"annotations/trimaps/{sample.name}.png"] = png_bytes(sample.trimap)
    return files


def member_role(path: str) -> tuple[str, str] | None:
    """What a batch path is: (IMAGE, name), (MASK, name), (LISTING, ""), or None (not a sample's).

    `images/<name>.jpg` and `annotations/trimaps/<name>.png`, suffixes in any case; a name
    never starts with a dot, so it is always a safe folder name.
    """
    parts = path.split("/")
    if path == LIST_PATH:
        return LISTING, ""
    if len(parts) == 2 and parts[0] == "images" and parts[1].lower().endswith(".jpg"):
        role, name = IMAGE, parts[1][:-4]
    elif parts[:2] == ["annotations", "trimaps"] and len(parts) == 3:
        if not parts[2].lower().endswith(".png"):
            return None
        role, name = MASK, parts[2][:-4]
    else:
        return None
    return (role, name) if name and not name.startswith(".") else None


def parse_list(text: str) -> dict[str, tuple[int, int, int]]:
    """list.txt: sample name -> (class id, species, breed id); comments and junk skipped."""
    entries = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#") or len(parts) < 4:
            continue
        try:
            entries[parts[0]] = (int(parts[1]), int(parts[2]), int(parts[3]))
        except ValueError:
            continue
    return entries
