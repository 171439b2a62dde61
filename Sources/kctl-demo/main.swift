print("kctl-demo: placeholder")
