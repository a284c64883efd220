"""Photos of digits written on paper or chalked on a board, through the API: each condition on its
own, whole numbers, a 12-megapixel phone photo, photos with no writing, and canvases read exactly
as before."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from model_training import canvas, photos
from model_training.canvas import Style
from model_training.data import split
from recognition import ink
from recognition.decode import open_image
from recognition.photo import is_board
from tests.support import bad_requests, bomb_png, data_url
from webapp import predict

PER_CONDITION = 6  # digits photographed under each condition ...
FLOOR = 5  # ... of which at least this many must read right
SMALL_PHOTO = (1280, 960)


@pytest.fixture(scope="module")
def validation(mnist):
    """The MNIST training-split digits training held out (the evaluation's own split)."""
    (x_train, y_train), _ = mnist
    _, (x_val, y_val) = split(x_train, y_train, 0.1, 42)
    return x_val, y_val


def post_photo(client, jpeg: bytes, route: str = "/api/predict"):
    return client.post(route, data={"file": (io.BytesIO(jpeg), "photo.jpg")}, content_type="multipart/form-data")


def top(response) -> int:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.json["predictions"][0]["digit"]


@pytest.mark.parametrize("condition", photos.CONDITIONS)
def test_each_condition_reads_right(client, validation, condition):
    x_val, y_val = validation
    rng = np.random.default_rng([11, photos.CONDITIONS.index(condition)])
    picks = rng.choice(len(x_val), PER_CONDITION, replace=False)
    answers = [top(post_photo(client, photos.digit_photo(x_val[i], condition, rng, SMALL_PHOTO))) for i in picks]
    right = sum(int(a == y_val[i]) for a, i in zip(answers, picks))
    assert right >= FLOOR, (condition, list(y_val[picks]), answers)


def test_photographed_numbers(client, validation):
    x_val, y_val = validation
    rng = np.random.default_rng(12)
    read = []
    for count in (2, 3, 4):
        picks = rng.choice(len(x_val), count, replace=False)
        response = post_photo(client, photos.number_photo(x_val[picks], rng, "ruled paper"), "/api/number")
        assert response.status_code == 200, response.json
        read.append((response.json["number"], "".join(str(d) for d in y_val[picks])))
    assert all(len(number) == len(truth) for number, truth in read), read
    assert sum(number == truth for number, truth in read) >= 2, read


def test_a_number_chalked_on_a_board(client, validation):
    x_val, y_val = validation
    rng = np.random.default_rng(16)
    picks = rng.choice(len(x_val), 3, replace=False)
    response = post_photo(client, photos.number_photo(x_val[picks], rng, "board"), "/api/number")
    assert response.status_code == 200, response.json
    assert response.json["number"] == "".join(str(d) for d in y_val[picks])


def test_only_light_writing_on_a_dark_surface_is_a_board(validation):
    """A board is read as its negative, also when a light wall around it fills much of the photo;
    paper under every condition, a sheet of paper lying on a dark table (light over much of the
    photo, not a few strokes) and a dim photo of paper with a glare are not boards."""
    x_val, _ = validation
    rng = np.random.default_rng(17)
    grey = [np.asarray(open_image(photos.digit_photo(x_val[i], condition, rng, (800, 600))).convert("L"))
            for i, condition in enumerate(photos.CONDITIONS)]
    assert [is_board(g) for g in grey] == [condition in photos.BOARDS for condition in photos.CONDITIONS]
    sheet_on_dark_table = np.full((600, 800), 50, np.uint8)
    sheet_on_dark_table[100:500, 150:550] = 230
    sheet_on_dark_table[250:350, 330:345] = 40  # a stroke on the sheet
    assert not is_board(sheet_on_dark_table)
    assert not is_board(np.full((600, 800), 30, np.uint8))  # a board with nothing on it
    board_on_a_wall = np.full((600, 800), 215, np.uint8)  # the wall fills most of the photo
    board_on_a_wall[120:480, 160:640] = 40
    board_on_a_wall[250:350, 380:395] = 225  # a chalk stroke
    assert is_board(board_on_a_wall)
    dim_paper = np.full((600, 800), 90, np.uint8)
    dim_paper[250:350, 330:350] = 15  # the writing, darker than the paper
    dim_paper[50:80, 600:640] = 250  # a glare
    assert not is_board(dim_paper)


def test_number_boxes_are_in_the_photos_own_pixels(client, validation):
    """A large JPEG photo is read reduced, and one stored on its side is turned upright: either way
    the size and boxes are the photo's own, where a full-scale PNG of it puts them."""
    x_val, _ = validation
    rng = np.random.default_rng(15)
    photo = Image.open(io.BytesIO(photos.number_photo(x_val[rng.choice(len(x_val), 3, replace=False)], rng,
                                                      size=(2400, 1800))))
    full = io.BytesIO()
    photo.save(full, "PNG")
    sideways = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    photo.transpose(Image.Transpose.ROTATE_90).save(sideways, "JPEG", quality=95, exif=exif)
    upright = io.BytesIO()
    photo.save(upright, "JPEG", quality=95)
    assert open_image(upright.getvalue()).size == (1200, 900)  # read reduced
    answers = [post_photo(client, b.getvalue(), "/api/number").json for b in (full, upright, sideways)]
    reference = answers[0]
    assert len(reference["number"]) == 3, reference
    for answer in answers[1:]:
        assert answer["size"] == [2400, 1800]
        assert answer["number"] == reference["number"], answer
        for digit, expected in zip(answer["digits"], reference["digits"]):
            assert np.allclose(digit["box"], expected["box"], atol=24), (digit["box"], expected["box"])


def test_odd_photos_are_empty_never_a_guess(client):
    for name, jpeg in photos.odd_photos(np.random.default_rng(13)).items():
        response = post_photo(client, jpeg)
        assert response.status_code == 422, (name, response.json)
        assert "empty" in response.json["error"]


def test_a_12_megapixel_phone_photo_multipart_and_json(client, validation):
    x_val, y_val = validation
    jpeg = photos.digit_photo(x_val[0], "plain", np.random.default_rng(14), photos.TWELVE_MP, quality=97)
    assert open_image(jpeg) and Image.open(io.BytesIO(jpeg)).size == photos.TWELVE_MP
    assert len(jpeg) > 2 * 1024 * 1024  # over the old 2 MiB limit, as large as a phone's own
    assert top(post_photo(client, jpeg)) == y_val[0]
    assert top(client.post("/api/predict", json={"image": data_url(jpeg, "image/jpeg")})) == y_val[0]


def test_processed_image_of_a_photo_is_a_clean_digit(client, validation):
    """What the model saw: a centred white digit on black, close to the same strokes drawn on a canvas."""
    x_val, _ = validation
    paths = canvas.pen_paths(x_val[1])
    response = post_photo(client, photos.photo(paths, "grid paper", np.random.default_rng(15), SMALL_PHOTO))
    assert response.status_code == 200
    seen = np.asarray(Image.open(io.BytesIO(base64.b64decode(response.json["processed"].split(",", 1)[1]))))
    drawn = client.post("/api/predict", json={"image": data_url(canvas.to_png(canvas.render(paths, Style())))})
    reference = np.asarray(Image.open(io.BytesIO(base64.b64decode(drawn.json["processed"].split(",", 1)[1]))))
    assert seen.shape == (28, 28) and seen.max() > 200
    assert 0.7 < (seen > 64).sum() / (reference > 64).sum() < 1.4  # no lines, shadows or specks added
    assert np.corrcoef(seen.ravel(), reference.ravel())[0, 1] > 0.8


@pytest.mark.parametrize("look", canvas.LOOKS)
def test_canvas_exports_are_read_as_before(mnist, look):
    """Canvases never take the photo path: their ink map is the flat background's, exactly."""
    _, (x_test, _) = mnist
    for i, (size, fmt) in enumerate(((160, "PNG"), (400, "PNG"), (840, "PNG"), (400, "JPEG"), (400, "WEBP"))):
        rgba = canvas.render(canvas.pen_paths(x_test[i]), Style(canvas=size, look=look))
        buffer = io.BytesIO()
        Image.fromarray(rgba).convert("RGBA" if fmt == "PNG" else "RGB").save(buffer, fmt)
        image = open_image(buffer.getvalue())
        if look == "transparent" and fmt == "PNG":
            assert np.array_equal(ink.ink_map(image), rgba[..., 3])
            continue
        gray = np.asarray(image.convert("L"))
        background = int(np.median(ink._border(gray)))
        assert not ink.is_photo(gray, background), (size, fmt)
        level = gray.astype(np.int16)
        expected = np.clip(background - level if background >= 128 else level - background, 0, 255)
        assert np.array_equal(ink.ink_map(image), expected.astype(np.uint8)), (size, fmt)


@pytest.mark.parametrize("look", ["white", "dark"])
def test_a_thick_pen_reaching_the_edge_is_still_a_canvas(client, mnist, look):
    """A thick pen may cover more of a canvas than its background and run off its edge: the pen's
    own flat colour keeps it a canvas (taken for a photo, it read as empty)."""
    _, (x_test, y_test) = mnist
    style = Style(canvas=840, size=0.85, center=(0.42, 0.58), pen=0.107, look=look)
    png = canvas.draw_digit(x_test[9062], style)
    image = open_image(png)
    gray = np.asarray(image.convert("L"))
    assert (gray == gray[0, 0]).mean() < 0.85 and (ink._border(gray) != gray[0, 0]).mean() > 0.1
    assert not ink.is_photo(gray, int(np.median(ink._border(gray))))
    response = client.post("/api/predict", json={"image": data_url(png)})
    assert response.status_code == 200 and response.json["predictions"][0]["digit"] == y_test[9062], response.json


def test_hostile_inputs_are_still_refused(client):
    for name, (status, request) in bad_requests().items():
        assert client.post("/api/predict", **request).status_code == status, name
    assert client.post("/api/predict", json={"image": data_url(bomb_png())}).status_code == 400
    noise = np.random.default_rng(16).integers(0, 256, (900, 1200, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, "JPEG")
    assert post_photo(client, buffer.getvalue()).status_code in (200, 422)  # read or empty, never an error


def test_command_line_reads_a_photo(validation, tmp_path, capsys):
    x_val, y_val = validation
    path = tmp_path / "photo.jpg"
    path.write_bytes(photos.digit_photo(x_val[2], "shadow", np.random.default_rng(17), SMALL_PHOTO))
    assert predict.main([str(path), "--top-k", "1"]) == 0
    assert capsys.readouterr().out.split(": ", 1)[1].startswith(f"{y_val[2]} (")
