"""What a view shows, each reader a small class around its model: face (BlazeFace + mesh),
body (BlazePose landmarks), text (PP-OCR captions), silhouette (outline cues), and sheet (one
decision per view from all of them)."""
