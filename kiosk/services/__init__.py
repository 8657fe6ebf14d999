"""Use cases over the database. Services add and flush; the view commits once per request."""
