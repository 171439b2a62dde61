// Placeholder: the demo workloads land here.
public enum DemoPlaceholder {}
