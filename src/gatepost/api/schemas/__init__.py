"""Request and response models: *Create / *Update for input, *Public for output."""
