//! Hardware abstraction (LEDs, button, phone lines). Filled by the appliance issue.
