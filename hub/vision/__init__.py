"""Cameras and recognition: the only package that imports cv2, numpy, face_recognition or av."""
