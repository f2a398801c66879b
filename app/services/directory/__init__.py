"""The directory of competent authorities and the victim and family assistance services beside it."""
