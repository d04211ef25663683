"""The head around a face, from the face detector's keypoints.

BlazeFace boxes a face from brow to chin and, for a face turned in profile, from the eye to the
nose: the back and top of the skull lie outside the box. Text kept clear of that box alone ran
into the camera operator's hair in group-three's banner. The distance between the eyes says how
far the face is turned, the nose which way; the head reaches back and up in proportion.
"""
from __future__ import annotations

import math

#: Distance between the eyes over the face box's width. On the labelled set (53 images): 0.36-0.55
#: for every face seen from the front (0.36: a large face found only by the tiles), 0.19-0.31 for
#: the camera operator in profile (turned, cut, dark, small, rotated). Turned below FRONTAL_EYES,
#: in full profile at PROFILE_EYES and below.
FRONTAL_EYES, PROFILE_EYES = 0.35, 0.30
#: How far the skull reaches past a face box in full profile, behind it (share of the box's
#: width) and above it (share of its height): the camera operator's hair reaches 1.07 box widths
#: behind it and 1.24 heights above it (hand-labelled in camera.png); the marks' clearance (0.2
#: of the face) adds the rest.
HEAD_BACK, HEAD_UP = 1.0, 1.2
#: A nose closer than this share of the width to the eyes' midpoint says nothing of the way it faces.
FACING_MIN = 0.03

XYXY = tuple[float, float, float, float]


def head_turn(xyxy: XYXY, keypoints: tuple[tuple[float, float], ...]) -> float:
    """How far the face is turned from the camera, 0 (front) to 1 (profile), from the distance
    between its eyes (keypoints 0 and 1). The nose's offset alone also moved for frontal faces
    cut by the frame (-0.14 of the width for astronaut-cut-left)."""
    if len(keypoints) < 3:
        return 0.0
    eyes = math.dist(keypoints[0], keypoints[1]) / max(xyxy[2] - xyxy[0], 1e-6)
    return min(1.0, max(0.0, (FRONTAL_EYES - eyes) / (FRONTAL_EYES - PROFILE_EYES)))


def head_xyxy(xyxy: XYXY, keypoints: tuple[tuple[float, float], ...]) -> XYXY:
    """The head around a turned face: the box reaching back (away from the nose, keypoint 2) and
    up to the skull, in proportion to the turn; the face box itself for a face seen from the front."""
    turn = head_turn(xyxy, keypoints)
    if turn == 0.0:
        return xyxy
    x0, y0, x1, y1 = xyxy
    back, up = HEAD_BACK * (x1 - x0) * turn, HEAD_UP * (y1 - y0) * turn
    facing = keypoints[2][0] - (keypoints[0][0] + keypoints[1][0]) / 2
    if abs(facing) < FACING_MIN * (x1 - x0):
        left = right = back / 2          # turned, but which way is unclear: half each side
    else:
        left, right = (back, 0.0) if facing > 0 else (0.0, back)
    return (x0 - left, y0 - up, x1 + right, y1)
