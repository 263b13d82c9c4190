"""Parameters an administrator sets without code (POLICY.md §1; issue 17 item 5): dated, cited amendments of the
packaged editions, proposed by one administrator and approved by another, in force from their effective date."""
