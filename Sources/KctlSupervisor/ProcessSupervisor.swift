// Placeholder: the process supervisor lands here.
