"""MediaPipe FaceLandmarker over labelled photographs: the anchor that `gradcap eval --anchor`
compares gradcap's head pose with.

Usage: facelandmarker.py MODEL.task DIR > poses.json

For each image named in DIR/labels.json (under DIR/img/ or DIR/), prints in one JSON object
`{"FILE": {"yaw", "pitch", "roll", "blendshapes": {...}}}` for the largest face FaceLandmarker
finds, its pose taken from the facial transformation matrix and expressed in gradcap's signs
(docs/checks.md): roll positive when the head leans to the image's right, yaw positive when the
face turns towards the image's right, pitch positive when the head tips down. Images with no face
are left out.
"""

import json
import math
import os
import sys

import mediapipe as mp
from mediapipe.tasks.python import vision
from mediapipe.tasks.python.core.base_options import BaseOptions


def pose(matrix):
    """Yaw, pitch and roll (degrees, gradcap's signs) of a 4x4 face-to-camera matrix.

    The camera looks down −z with x right and y up; the canonical face looks along +z with +x
    towards the image's right for a frontal face."""
    r = [row[:3] for row in matrix[:3]]
    forward = [r[0][2], r[1][2], r[2][2]]
    across = [r[0][0], r[1][0], r[2][0]]
    yaw = math.degrees(math.atan2(forward[0], forward[2]))
    pitch = math.degrees(math.atan2(-forward[1], math.hypot(forward[0], forward[2])))
    roll = math.degrees(math.atan2(-across[1], across[0]))
    return yaw, pitch, roll


def main(model, folder):
    options = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=model),
        num_faces=4,
        output_face_blendshapes=True,
        output_facial_transformation_matrixes=True,
    )
    labels = json.load(open(os.path.join(folder, "labels.json")))
    out = {}
    with vision.FaceLandmarker.create_from_options(options) as landmarker:
        for label in labels:
            path = os.path.join(folder, "img", label["file"])
            if not os.path.exists(path):
                path = os.path.join(folder, label["file"])
            result = landmarker.detect(mp.Image.create_from_file(path))
            if not result.face_landmarks:
                continue

            def area(i):
                xs = [p.x for p in result.face_landmarks[i]]
                ys = [p.y for p in result.face_landmarks[i]]
                return (max(xs) - min(xs)) * (max(ys) - min(ys))

            main_face = max(range(len(result.face_landmarks)), key=area)
            matrix = result.facial_transformation_matrixes[main_face]
            yaw, pitch, roll = pose(matrix.tolist())
            shapes = {c.category_name: round(c.score, 4) for c in result.face_blendshapes[main_face]}
            out[label["file"]] = {
                "yaw": round(yaw, 2),
                "pitch": round(pitch, 2),
                "roll": round(roll, 2),
                "blendshapes": shapes,
            }
    json.dump(out, sys.stdout, indent=None)
    print()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
