"""Computer vision: image decoding and limits, and the face (later plate) engines.

Engines sit behind small protocols (:class:`gatepost.vision.faces.FaceEngine`) so a
model can be swapped without touching callers. Nothing here knows about tenants,
storage or HTTP.
"""
