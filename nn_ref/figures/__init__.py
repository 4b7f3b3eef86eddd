"""The lecture's figures, regenerated from computed data (see ``nn-ref figures``)."""
