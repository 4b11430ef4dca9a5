"""The VIST data layer: official SIS / DII files, AREL references, photos on disk, the index."""
