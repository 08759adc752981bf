"""What a view shows, each reader a small class around its model: face (BlazeFace + mesh),
silhouette (outline rules), and the readers the pose stage combines."""
